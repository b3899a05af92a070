"""Word documents in the layout of 党政机关公文格式 (GB/T 9704-2012), for the daily brief.

A4, type area 156 × 225 mm (margins top 37, bottom 35, left 28, right 26 mm), 22 lines of 28
characters (a lines-and-characters grid, exact line spacing of 225 mm ÷ 22), title in
方正小标宋简体 2号, body in 仿宋_GB2312 3号, page numbers "— 1 —" in 宋体 4号 under the type area.

Every run names its east-Asian font itself (w:eastAsia, hint eastAsia), and the styles and the
document defaults too, with the theme fonts removed: python-docx's default template falls back
to a Japanese theme font (ＭＳ 明朝) for Chinese text otherwise. Machines without the official
fonts substitute the ones the font table names as alternatives (华文中宋, 仿宋, 宋体).
"""

from __future__ import annotations

import math
import re
from typing import Any

from docx.enum.section import WD_SECTION_START
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
PAGE_NUMBER_FONT = "宋体"
# Fallbacks, written into the font table as w:altName (Word and WPS use them when the font is missing)
FALLBACKS = {TITLE_FONT: "华文中宋", BODY_FONT: "仿宋", HEADING_FONT: "SimHei", PAGE_NUMBER_FONT: "SimSun"}

SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_TABLE = Pt(9)  # 小五: the table's eleven columns fit the 156 mm type width
TABLE_LINE = Pt(13)
ISSUER_MAX_PT = 36  # 发文机关标志 (7.2.3): red 小标宋, larger than the title, on one line
RED = RGBColor(0xFF, 0x00, 0x00)

# w:pPr's children in the schema's order (ECMA-376 CT_PPrBase), as far as this module adds them
PARAGRAPH_PROPERTIES = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
    "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
    "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
    "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
    "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip

TYPE_WIDTH_MM, TYPE_HEIGHT_MM = 156, 225
LINES, CHARS = 22, 28
# 225 mm ÷ 22 = 28.99 pt, rounded down to whole twentieths (579 = 28.95 pt): rounded up, the 22nd
# line would no longer fit the type area and Word would lay out 21
LINE_PITCH = Pt(math.floor(TYPE_HEIGHT_MM / 25.4 * 72 / LINES * 20) / 20)
CHAR_PITCH_PT = TYPE_WIDTH_MM / 25.4 * 72 / CHARS  # ≈ 15.79 pt


def issuer_size(name: str) -> Pt:
    """The largest size up to 小初 that keeps the issuing unit's name on one line."""
    return Pt(max(22, min(ISSUER_MAX_PT, int(TYPE_WIDTH_MM / 25.4 * 72 / max(1, len(name))))))


def set_up_page(document: Any) -> None:
    section = document.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(21)  # the number's top line is 7 mm under the type area
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_PITCH.twips))  # twentieths of a point
    # extra pitch per character over the body font's size, in 4096ths of a point
    grid.set(qn("w:charSpace"), str(round((CHAR_PITCH_PT - SIZE_3.pt) * 4096)))


def set_fonts(element: Any, font: str) -> None:
    """w:rFonts of a run or a style: every script named, no theme font, east-Asian hint."""
    r_pr = element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(script), font)
    fonts.set(qn("w:hint"), "eastAsia")


def set_up_styles(document: Any) -> None:
    """The defaults and every style name the body font; no style is left to the theme."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = defaults.find(qn("w:rFonts"))
    fonts.attrib.clear()
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(script), BODY_FONT)
    fonts.set(qn("w:hint"), "eastAsia")
    for size in ("w:sz", "w:szCs"):  # the grid's character pitch is reckoned from the default size
        defaults.find(qn(size)).set(qn("w:val"), str(int(SIZE_3.pt * 2)))
    language = defaults.find(qn("w:lang"))
    language.set(qn("w:val"), "en-US")
    language.set(qn("w:eastAsia"), "zh-CN")
    for style_fonts in styles.iter(qn("w:rFonts")):
        if any(key.endswith("Theme") or key.endswith("theme") for key in style_fonts.attrib):
            for key in list(style_fonts.attrib):
                if key.lower().endswith("theme"):
                    del style_fonts.attrib[key]
            style_fonts.set(qn("w:eastAsia"), BODY_FONT)
    normal = document.styles["Normal"]
    set_fonts(normal.element, BODY_FONT)
    normal.font.size = SIZE_3
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE_PITCH
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    drop_theme_east_asian_fonts(document)
    name_fallbacks(document)


def drop_theme_east_asian_fonts(document: Any) -> None:
    """The theme's per-script fonts (ＭＳ 明朝 for Japanese…) go; its east-Asian font is 宋体."""
    for part in document.part.package.iter_parts():
        if str(part.partname).endswith("/theme1.xml") or str(part.partname).endswith("stylesWithEffects.xml"):
            text = part.blob.decode("utf-8")
            text = re.sub(r'<a:font script="(?:Jpan|Hang|Hant)" typeface="[^"]*"/>', "", text)
            text = text.replace('<a:ea typeface=""/>', f'<a:ea typeface="{PAGE_NUMBER_FONT}"/>')
            text = re.sub(r' w:(?:ascii|hAnsi|eastAsia|cs)(?:T|t)heme="[^"]*"', "", text)
            part._blob = text.encode("utf-8")


def name_fallbacks(document: Any) -> None:
    """The font table lists the official fonts with their alternatives and the GB2312 charset."""
    for part in document.part.package.iter_parts():
        if str(part.partname).endswith("/fontTable.xml"):
            text = part.blob.decode("utf-8")
            text = re.sub(r"<w:font w:name=\"ＭＳ [^\"]*\">.*?</w:font>\s*", "", text, flags=re.S)
            entries = "".join(
                f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
                f'<w:family w:val="{"modern" if name == BODY_FONT else "roman"}"/><w:pitch w:val="variable"/></w:font>'
                for name, alt in FALLBACKS.items()
            )
            part._blob = text.replace("</w:fonts>", entries + "</w:fonts>").encode("utf-8")


def add_run(
    paragraph: Paragraph, text: str, font: str, size: Pt, *, bold: bool = False, color: RGBColor | None = None
) -> None:
    run = paragraph.add_run(text)
    set_fonts(run._r, font)
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color


def paragraph(
    document: Any,
    text: str = "",
    *,
    font: str = BODY_FONT,
    size: Pt = SIZE_3,
    align: Any = None,
    indent_chars: int = 0,
    right_chars: int = 0,
    bold: bool = False,
    color: RGBColor | None = None,
    exact: Pt | None = None,
) -> Paragraph:
    p = document.add_paragraph()
    if text:
        add_run(p, text, font, size, bold=bold, color=color)
    fmt = p.paragraph_format
    if align is not None:
        fmt.alignment = align
    if indent_chars:
        fmt.first_line_indent = Pt(size.pt * indent_chars)
    if right_chars:
        fmt.right_indent = Pt(size.pt * right_chars)
    if exact is not None:
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, exact
    return p


def red_rule(p: Paragraph) -> None:
    """The separator under the 版头: a red line the width of the type area."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", "FF0000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    in_order(p, borders)


def page_numbers(document: Any) -> None:
    """ "— 1 —": a PAGE field between two em dashes, 宋体 4号, centred in the footer."""
    footer = document.sections[0].footer
    p = footer.paragraphs[0]
    p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_run(p, "— ", PAGE_NUMBER_FONT, SIZE_4)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = p.add_run()
        set_fonts(run._r, PAGE_NUMBER_FONT)
        run.font.size = SIZE_4
        if kind is not None:
            mark = OxmlElement("w:fldChar")
            mark.set(qn("w:fldCharType"), kind)
            run._r.append(mark)
        elif text == " PAGE ":
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._r.append(instruction)
        else:
            run.text = text
    add_run(p, " —", PAGE_NUMBER_FONT, SIZE_4)


def off_grid(p: Paragraph) -> None:
    """A table's smaller text keeps its own pitch instead of the body's 28-character grid."""
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    in_order(p, snap)


def in_order(p: Paragraph, element: Any) -> None:
    """Adds a paragraph property where the schema puts it (Word refuses them out of order)."""
    properties = p._p.get_or_add_pPr()
    name = "w:" + element.tag.rsplit("}", 1)[1]
    properties.insert_element_before(element, *PARAGRAPH_PROPERTIES[PARAGRAPH_PROPERTIES.index(name) + 1 :])
