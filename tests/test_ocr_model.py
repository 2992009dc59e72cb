"""The OCR engine's models with their element-wise chains folded (ingest/readers/ocr_model.py) compute what the wheel's models compute."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx", reason="onnx not installed: `make setup` installs the dev group")
pytest.importorskip(
    "rapidocr_onnxruntime", reason="rapidocr-onnxruntime not installed: `make setup` installs the dev group"
)

from ingest.readers import ocr, ocr_model  # noqa: E402


def _paths() -> dict:
    from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH
    from rapidocr_onnxruntime.utils import read_yaml
    from rapidocr_onnxruntime.utils.parse_parameters import update_model_path

    cfg = update_model_path(read_yaml(DEFAULT_CFG_PATH))
    return {"det": cfg["Det"]["model_path"], "rec": cfg["Rec"]["model_path"]}


@pytest.mark.parametrize("kind,shape", [("rec", (2, 3, 48, 160)), ("det", (1, 3, 96, 128))])
def test_folded_model_matches_the_wheel_model(kind, shape):
    import onnx

    path = _paths()[kind]
    folded = ocr_model.optimise(path)
    ops_before = [n.op_type for n in onnx.load(path).graph.node]
    ops_after = [n.op_type for n in onnx.load_from_string(folded).graph.node]
    # the chains were found and folded: fewer element-wise ops, every convolution kept
    assert ops_after.count("Div") < ops_before.count("Div")
    assert ops_after.count("Clip") < ops_before.count("Clip")
    assert ops_after.count("Conv") == ops_before.count("Conv")
    x = np.random.default_rng(3).uniform(-1, 1, shape).astype(np.float32)
    a = ocr._session(path).run(None, {"x": x})[0]
    b = ocr._session(folded).run(None, {"x": x})[0]
    assert a.shape == b.shape
    assert float(np.abs(a - b).max()) < 1e-4  # float rounding only
    if kind == "rec":
        assert (a.argmax(-1) == b.argmax(-1)).all()


def test_engine_runs_the_folded_models_with_one_thread():
    import onnx

    eng = ocr.engine()
    for sess, kind in ((eng.text_det.infer.session, "det"), (eng.text_rec.session.session, "rec")):
        # loaded from the folded bytes in memory, not from the wheel's file
        assert sess._model_path is None and sess._model_bytes == ocr_model.optimise(_paths()[kind])
        assert sess._sess_options.intra_op_num_threads == ocr.THREADS
        assert "Clip" not in {n.op_type for n in onnx.load_from_string(sess._model_bytes).graph.node}
    # the recogniser reads a rendered number through the folded session
    from PIL import Image, ImageDraw

    img = Image.new("L", (160, 48), 255)
    ImageDraw.Draw(img).text((12, 8), "2024", fill=0, font_size=28)
    ((text, conf),) = ocr.recognise([np.array(img)])
    assert text == "2024" and conf > 0.9, (text, conf)
