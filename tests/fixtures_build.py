"""Builders for the PDF and DOCX files the reader tests run on (generated, never copied)."""

from __future__ import annotations

import io

T3_LABELS = [
    "一、本年新收政府信息公开申请数量",
    "二、上年结转政府信息公开申请数量",
    "（一）予以公开",
    "（二）部分公开",
    "1.属于国家秘密",
    "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”",
    "4.保护第三方合法权益",
    "5.属于三类内部事务信息",
    "6.属于四类过程性信息",
    "7.属于行政执法案卷",
    "8.属于行政查询事项",
]


def t3_rows(n_rows: int = 36) -> list[list[str]]:
    """Header rows plus ``n_rows`` labelled rows of seven values (row i holds i, i+1, ...)."""
    header = [
        ["", "申请人情况", "", "", "", "", "", ""],
        ["", "自然人", "法人或其他组织", "", "", "", "", "总计"],
        ["", "", "商业\n企业", "科研\n机构", "社会公益\n组织", "法律服务\n机构", "其他", ""],
    ]
    body = []
    for i in range(n_rows):
        label = T3_LABELS[i] if i < len(T3_LABELS) else f"第{i + 1}行项目"
        body.append([label] + [str(i + k) for k in range(7)])
    return header + body


def _cjk_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def report_pdf(n_rows: int = 36, framed_text: bool = False) -> bytes:
    """A report-like PDF: headings, body text, a ruled table split over two pages, a footer ``— n —`` per page.

    The table header has merged cells (申请人情况 across all value columns,
    法人或其他组织 across five, the label column down three rows, 自然人 and
    总计 down two). With ``framed_text`` a paragraph is drawn inside a
    single-column ruled frame.
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=12, leading=18)
    heading = ParagraphStyle("heading", parent=body, fontSize=14, leading=22)

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 10)
        canvas.drawCentredString(A4[0] / 2, 30, f"— {doc.page} —")
        canvas.restoreState()

    cell_style = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("SPAN", (1, 0), (7, 0)),  # 申请人情况
        ("SPAN", (2, 1), (6, 1)),  # 法人或其他组织
        ("SPAN", (0, 0), (0, 2)),  # label column header
        ("SPAN", (1, 1), (1, 2)),  # 自然人
        ("SPAN", (7, 1), (7, 2)),  # 总计
    ]
    story = [
        Paragraph("某某局2024年政府信息公开工作年度报告", heading),
        Paragraph("一、总体情况", heading),
        Paragraph("本年度本机关认真贯彻落实《中华人民共和国政府信息公开条例》。", body),
    ]
    if framed_text:
        frame = Table([["框内正文第一行，说明主动公开情况。"], ["框内正文第二行。"]], colWidths=[400])
        frame.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("BOX", (0, 0), (-1, -1), 0.5, colors.black)]))
        story.append(frame)
    story += [
        Paragraph("二、主动公开政府信息情况", heading),
        Paragraph("本年主动公开政府信息若干条。", body),
        Spacer(1, 260),
        Paragraph("三、收到和处理政府信息公开申请情况", heading),
        Table(t3_rows(n_rows), colWidths=[170] + [42] * 7, style=TableStyle(cell_style)),
        Paragraph("四、政府信息公开行政复议、行政诉讼情况", heading),
        Paragraph("本年未发生行政复议、行政诉讼。", body),
    ]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title="某某局2024年政府信息公开工作年度报告", author="某某局")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def blank_pdf() -> bytes:
    """A two-page PDF with drawings only: no text layer, as a scanned report has."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for _ in range(2):
        c.rect(72, 72, 400, 600, stroke=1, fill=0)
        c.setFillGray(0.5)
        c.rect(100, 100, 200, 100, stroke=0, fill=1)
        c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_pdf() -> bytes:
    """A PDF that needs the user password ``x`` to be opened."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    font = _cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, encrypt=StandardEncryption(userPassword="x", ownerPassword="y"))
    c.setFont(font, 12)
    c.drawString(72, 700, "三、收到和处理政府信息公开申请情况")
    c.showPage()
    c.save()
    return buf.getvalue()


def docx_bytes(build) -> bytes:
    """Save a python-docx document after ``build(document)`` has filled it."""
    import docx

    document = docx.Document()
    build(document)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()
