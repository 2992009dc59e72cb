"""The OCR engine's ONNX models made cheaper to run, with the same arithmetic.

The PP-OCRv4 models in the ``rapidocr-onnxruntime`` wheel were exported op
by op: after every convolution a learnable affine (a multiply and an add by
two scalars), then hard-swish spelled as four ops (add 3, clip to 0..6,
multiply, divide by 6), then another scalar affine before the next
convolution. With one thread, these element-wise passes over the feature
maps cost more than the convolutions. Here, at engine load, in memory:

* a convolution followed by a scalar multiply and add takes them into its
  weights and bias (``W*s``, ``B*s + b``): the same affine map;
* the four hard-swish ops become ``x * HardSigmoid(x)`` (alpha 1/6, beta 1/2),
  the same function in two ops;
* a scalar multiply in front of a convolution goes into its weights, and the
  add into its bias where the convolution is 1x1 without padding (with
  padding the border would change, so the add stays).

Results differ from the original only by float rounding (checked by
``tests/test_ocr_model.py``). Nothing is written to disk; the files in the wheel
are read as they are.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np


def _scalar(v: np.ndarray | None) -> float | None:
    return float(v.ravel()[0]) if v is not None and v.size == 1 else None


class _Graph:
    def __init__(self, model):
        from onnx import numpy_helper

        self.nh = numpy_helper
        self.g = model.graph
        self.const: dict[str, np.ndarray] = {}
        for n in self.g.node:
            if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
                self.const[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        for t in self.g.initializer:
            self.const[t.name] = numpy_helper.to_array(t)
        self.producer = {o: n for n in self.g.node for o in n.output}
        self.consumers: dict[str, list] = defaultdict(list)
        for n in self.g.node:
            for i in n.input:
                self.consumers[i].append(n)
        self.outputs = {o.name for o in self.g.output}
        self.dead: set[int] = set()
        self.new_consts = 0

    def only_user(self, name: str):
        users = [u for u in self.consumers[name] if id(u) not in self.dead]
        return users[0] if len(users) == 1 and name not in self.outputs else None

    def scalar_operand(self, node, op: str) -> tuple[float, str] | None:
        """(scalar, other input) of a binary ``op`` node with one constant scalar operand."""
        if node is None or node.op_type != op or len(node.input) != 2:
            return None
        a, b = node.input
        for c, x in ((a, b), (b, a)):
            s = _scalar(self.const.get(c))
            if s is not None and x not in self.const:
                return s, x
        return None

    def set_const(self, node, idx: int, value: np.ndarray) -> None:
        name = f"xxgk_folded_{self.new_consts}"
        self.new_consts += 1
        self.g.initializer.append(self.nh.from_array(value.astype(np.float32), name))
        self.const[name] = value
        if idx < len(node.input):
            node.input[idx] = name
        else:
            node.input.append(name)

    def rename_input(self, old: str, new: str) -> None:
        for u in list(self.consumers[old]):
            for k, i in enumerate(u.input):
                if i == old:
                    u.input[k] = new
            self.consumers[new].append(u)
        self.consumers[old] = []


def _conv_weights(gr: _Graph, conv) -> tuple[np.ndarray, np.ndarray] | None:
    w = gr.const.get(conv.input[1])
    if w is None or w.ndim != 4:
        return None
    b = gr.const.get(conv.input[2]) if len(conv.input) > 2 else np.zeros(w.shape[0], np.float32)
    return (w, b) if b is not None else None


def _fold_affine_after_conv(gr: _Graph) -> int:
    done = 0
    for conv in list(gr.g.node):
        wb = _conv_weights(gr, conv) if conv.op_type == "Conv" and id(conv) not in gr.dead else None
        if wb is None:
            continue
        mul = gr.only_user(conv.output[0])
        ms = gr.scalar_operand(mul, "Mul")
        if ms is None:
            continue
        add = gr.only_user(mul.output[0])
        ad = gr.scalar_operand(add, "Add")
        w, b = wb
        s, t = ms[0], (ad[0] if ad else 0.0)
        gr.set_const(conv, 1, w * s)
        gr.set_const(conv, 2, b * s + t)
        last = add if ad else mul
        gr.dead.add(id(mul))
        if ad:
            gr.dead.add(id(add))
        gr.rename_input(last.output[0], conv.output[0])
        done += 1
    return done


def _hard_swish(gr: _Graph) -> int:
    """Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6) -> Mul(x, HardSigmoid(x))."""
    from onnx import helper

    done = 0
    for div in list(gr.g.node):
        d = gr.scalar_operand(div, "Div")
        if d is None or d[0] != 6.0 or div.input[1] not in gr.const:
            continue
        mul = gr.producer.get(div.input[0])
        if mul is None or mul.op_type != "Mul" or gr.only_user(mul.output[0]) is not div:
            continue
        for x, c in ((mul.input[0], mul.input[1]), (mul.input[1], mul.input[0])):
            clip = gr.producer.get(c)
            if clip is None or clip.op_type != "Clip" or gr.only_user(clip.output[0]) is not mul:
                continue
            lo = _scalar(gr.const.get(clip.input[1])) if len(clip.input) > 1 else None
            hi = _scalar(gr.const.get(clip.input[2])) if len(clip.input) > 2 else None
            add = gr.producer.get(clip.input[0])
            a = gr.scalar_operand(add, "Add")
            if (
                (lo, hi) != (0.0, 6.0)
                or a is None
                or a[0] != 3.0
                or a[1] != x
                or gr.only_user(add.output[0]) is not clip
            ):
                continue
            hs = helper.make_node("HardSigmoid", [x], [div.output[0] + "_hsig"], alpha=1.0 / 6.0, beta=0.5)
            div.op_type = "Mul"
            del div.input[:]
            div.input.extend([x, hs.output[0]])
            idx = list(gr.g.node).index(div)
            gr.g.node.insert(idx, hs)
            for n in (mul, clip, add):
                gr.dead.add(id(n))
            done += 1
            break
    return done


def _fold_affine_before_conv(gr: _Graph) -> int:
    done = 0
    for mul in list(gr.g.node):
        ms = gr.scalar_operand(mul, "Mul")
        if ms is None or id(mul) in gr.dead:
            continue
        add = gr.only_user(mul.output[0])
        ad = gr.scalar_operand(add, "Add")
        last = add if ad else mul
        conv = gr.only_user(last.output[0])
        if conv is None or conv.op_type != "Conv" or conv.input[0] != last.output[0]:
            continue
        wb = _conv_weights(gr, conv)
        if wb is None or ms[0] == 0.0:
            continue
        attrs = {a.name: a for a in conv.attribute}
        w, b = wb
        s = ms[0]
        pads = list(attrs["pads"].ints) if "pads" in attrs else [0]
        auto_pad = attrs["auto_pad"].s if "auto_pad" in attrs else b"NOTSET"
        pointwise = w.shape[2:] == (1, 1) and not any(pads) and auto_pad in (b"NOTSET", b"VALID")
        gr.set_const(conv, 1, w * s)
        if ad is not None and pointwise:
            gr.set_const(conv, 2, b + ad[0] * w.sum(axis=(1, 2, 3)))
        # the multiply goes; the add stays in front of a padded convolution, now on the unscaled input
        gr.dead.add(id(mul))
        if ad is not None and not pointwise:
            add.input[:] = [ms[1], add.input[1] if add.input[0] == mul.output[0] else add.input[0]]
            gr.set_const(add, 1, np.array([ad[0] / s], np.float32))
        else:
            if ad is not None:
                gr.dead.add(id(add))
            conv.input[0] = ms[1]
        done += 1
    return done


def optimise(path: str) -> bytes:
    """The model at ``path`` with its element-wise chains folded, serialised; unchanged where no pattern matches."""
    import onnx

    model = onnx.load(path)
    gr = _Graph(model)
    _fold_affine_after_conv(gr)
    _hard_swish(gr)
    _fold_affine_before_conv(gr)
    keep = [n for n in model.graph.node if id(n) not in gr.dead]
    del model.graph.node[:]
    model.graph.node.extend(keep)
    return model.SerializeToString()
