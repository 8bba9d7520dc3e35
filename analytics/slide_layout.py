"""Where the title, the finding, the picture and the footer go on a slide.

Text boxes at fixed positions overlap as soon as a title takes two lines. This
module measures every text with the metrics of the font the deck uses and
stacks the boxes from the top, so that nothing overlaps and nothing is cut,
whatever the lengths:

* the deck's text is set in **Arial**; its metrics are measured here on
  **Liberation Sans** (Debian's ``fonts-liberation``, metric-compatible with
  Arial: same advance widths), which is also what LibreOffice draws for Arial;
* text is wrapped here, word by word, and written with explicit line breaks,
  so that PowerPoint and LibreOffice break where the measurement did (a line
  is filled to at most :data:`FILL` of its box, a margin for hinting);
* font sizes step down (title 30 → 20 pt, finding 20 → 14 pt, footer 12 →
  9 pt) only while the picture would otherwise be smaller than
  :data:`MIN_PICTURE_IN`; the picture takes the room that is left.

All lengths are in inches, font sizes in points.

>>> layout = chart_slide("Доходы местного бюджета на жителя, 2023",
...                      "Лучший результат — Красноярский район.", "Источник: БД ПМО")
>>> layout.title.lines, layout.title.size
(('Доходы местного бюджета на жителя, 2023',), 30)
>>> layout.picture.top >= layout.caption.bottom
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

SLIDE_WIDTH_IN = 12192000 / 914400  # 13.333… in: PowerPoint's own 16:9 size
SLIDE_HEIGHT_IN = 7.5
MARGIN_IN = 0.5
GAP_IN = 0.12
#: Share of a box's width a measured line may fill.
FILL = 0.94
#: Line height as a multiple of the font size (PowerPoint's single spacing
#: for Arial is about 1.15; 1.2 leaves room for descenders).
LINE_HEIGHT = 1.2
MIN_PICTURE_IN = 3.2
TITLE_SIZES = (30, 28, 26, 24, 22, 20)
CAPTION_SIZES = (20, 18, 16, 14)
FOOTER_SIZES = (12, 11, 10, 9)
#: The typeface written into the deck and the files measured for it.
FONT_NAME = "Arial"
_FONT_DIRS = (
    Path(__file__).resolve().parents[1] / "assets" / "fonts",
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/dejavu"),  # wider than Arial: safe
)
_FILES = {
    False: ("LiberationSans-Regular.ttf", "DejaVuSans.ttf"),
    True: ("LiberationSans-Bold.ttf", "DejaVuSans-Bold.ttf"),
}


@functools.lru_cache(maxsize=4)
def font_file(bold: bool = False) -> Path:
    """The TrueType file whose metrics stand for the deck's font.

    Raises ``FileNotFoundError`` naming what to install when none is found.
    """
    for name in _FILES[bool(bold)]:
        for folder in _FONT_DIRS:
            path = folder / name
            if path.is_file():
                return path
    raise FileNotFoundError(
        "slide_layout: no Liberation Sans or DejaVu Sans font found to measure "
        "slide text; install Debian's fonts-liberation (make setup does)"
    )


@functools.lru_cache(maxsize=64)
def _font(size: float, bold: bool):
    from PIL import ImageFont

    # 100 units per point: PIL's lengths are whole pixels, so measure large
    return ImageFont.truetype(str(font_file(bold)), size=round(size * 100))


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of ``text`` on one line in ``size`` pt, in inches.

    >>> round(text_width("Доходы", 20), 2) > 0
    True
    """
    if not text:
        return 0.0
    return _font(size, bold).getlength(text) / 100 / 72


def wrap_lines(
    text: str, width: float, size: float, *, bold: bool = False
) -> list[str]:
    """``text`` broken into lines no wider than ``FILL * width`` inches (words
    kept whole; a word wider than a line is split by characters).
    Existing line breaks are kept."""
    room = FILL * width
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        current = ""
        # break at ordinary spaces only: the narrow no-break space inside
        # «36 976» and the no-break space before a unit hold
        for word in (w for w in paragraph.split(" ") if w):
            candidate = f"{current} {word}" if current else word
            if text_width(candidate, size, bold=bold) <= room:
                current = candidate
                continue
            if current:
                lines.append(current)
            # a word longer than the line: cut it where it fills the line
            while text_width(word, size, bold=bold) > room:
                cut = len(word)
                while cut > 1 and text_width(word[:cut], size, bold=bold) > room:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        if current or not lines:
            lines.append(current)
    return lines


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return self.left + self.width

    def overlaps(self, other: Box) -> bool:
        """Whether the two boxes share any area (touching edges do not)."""
        eps = 1e-6
        return (
            self.left < other.right - eps
            and other.left < self.right - eps
            and self.top < other.bottom - eps
            and other.top < self.bottom - eps
        )


@dataclass(frozen=True)
class TextBox(Box):
    lines: tuple[str, ...] = ()
    size: float = 12
    bold: bool = False

    @property
    def text(self) -> str:
        """The text with its line breaks (as written into the slide)."""
        return "\n".join(self.lines)

    def fits(self) -> bool:
        """Whether every line fits the width and all lines the height, by
        the font's metrics."""
        wide = all(
            text_width(line, self.size, bold=self.bold) <= self.width + 1e-9
            for line in self.lines
        )
        return wide and text_height(len(self.lines), self.size) <= self.height + 1e-9


def text_height(lines: int, size: float) -> float:
    """Height of ``lines`` lines of ``size`` pt, in inches."""
    return lines * size * LINE_HEIGHT / 72


@dataclass(frozen=True)
class SlideLayout:
    title: TextBox
    caption: TextBox | None
    picture: Box
    footer: TextBox | None

    def boxes(self) -> list[Box]:
        return [b for b in (self.title, self.caption, self.picture, self.footer) if b]


def _text_box(
    text: str, left: float, top: float, width: float, size: float, bold: bool = False
) -> TextBox:
    lines = wrap_lines(text, width, size, bold=bold)
    return TextBox(
        left, top, width, text_height(len(lines), size), tuple(lines), size, bold
    )


def chart_slide(
    title: str,
    caption: str,
    footer: str,
    *,
    width: float = SLIDE_WIDTH_IN,
    height: float = SLIDE_HEIGHT_IN,
    margin: float = MARGIN_IN,
) -> SlideLayout:
    """Title on top, the finding under it, the footer (one source line) at
    the bottom, the picture in between; sizes step down until the picture is
    at least :data:`MIN_PICTURE_IN` high or every size is at its smallest."""
    inner = width - 2 * margin
    choices = [
        (t, c, f)
        for t in range(len(TITLE_SIZES))
        for c in range(len(CAPTION_SIZES))
        for f in range(len(FOOTER_SIZES))
    ]
    # fewest steps down first; among those, a smaller title before a smaller
    # finding before a smaller footer (a long title shrinks first)
    best = None
    order = sorted(choices, key=lambda x: (sum(x), -x[0], -x[1], x))
    for ti, ci, fi in order:
        layout = _stack(
            title, caption, footer, TITLE_SIZES[ti], CAPTION_SIZES[ci],
            FOOTER_SIZES[fi], width, height, margin, inner,
        )  # fmt: skip
        if best is None or layout.picture.height > best.picture.height:
            best = layout
        if layout.picture.height >= MIN_PICTURE_IN:
            return layout
    return best


def _stack(
    title: str,
    caption: str,
    footer: str,
    title_pt: float,
    caption_pt: float,
    footer_pt: float,
    width: float,
    height: float,
    margin: float,
    inner: float,
) -> SlideLayout:
    top = 0.3
    title_box = _text_box(title, margin, top, inner, title_pt, bold=True)
    top = title_box.bottom + GAP_IN
    caption_box = None
    if caption:
        caption_box = _text_box(caption, margin, top, inner, caption_pt)
        top = caption_box.bottom + GAP_IN
    footer_box = None
    bottom = height - 0.25
    if footer:
        lines = wrap_lines(footer, inner, footer_pt)
        h = text_height(len(lines), footer_pt)
        footer_box = TextBox(
            margin, bottom - h, inner, h, tuple(lines), footer_pt, False
        )
        bottom = footer_box.top - GAP_IN
    picture = Box(margin, top, inner, max(0.0, bottom - top))
    return SlideLayout(title_box, caption_box, picture, footer_box)


@dataclass(frozen=True)
class TitleSlideLayout:
    title: TextBox
    subtitle: TextBox | None
    source: TextBox | None

    def boxes(self) -> list[Box]:
        return [b for b in (self.title, self.subtitle, self.source) if b]


def title_slide(
    title: str,
    subtitle: str,
    source: str,
    *,
    width: float = SLIDE_WIDTH_IN,
    height: float = SLIDE_HEIGHT_IN,
    margin: float = MARGIN_IN,
) -> TitleSlideLayout:
    """The deck's first slide: title and subtitle centred on the upper half,
    the source line at the bottom; sizes step down until they fit."""
    inner = width - 2 * margin
    for title_pt, sub_pt, source_pt in ((40, 24, 14), (34, 20, 12), (28, 18, 11)):
        title_box = _text_box(title, margin, 0, inner, title_pt, bold=True)
        sub = _text_box(subtitle, margin, 0, inner, sub_pt) if subtitle else None
        src = _text_box(source, margin, 0, inner, source_pt) if source else None
        block = title_box.height + (GAP_IN * 2 + sub.height if sub else 0)
        src_h = src.height if src else 0
        if block + src_h + 1.0 <= height - 2 * margin:
            break
    top = max(margin, (height * 0.55) - block)
    title_box = TextBox(
        margin, top, inner, title_box.height, title_box.lines, title_pt, True
    )
    if sub is not None:
        sub = TextBox(
            margin, title_box.bottom + 2 * GAP_IN, inner, sub.height, sub.lines,
            sub_pt, False,
        )  # fmt: skip
    if src is not None:
        src = TextBox(
            margin, height - margin - src.height, inner, src.height, src.lines,
            source_pt, False,
        )  # fmt: skip
    return TitleSlideLayout(title_box, sub, src)


def deck_problems(data: bytes) -> list[str]:
    """What is wrong with the layout of a PPTX deck, by measurement: shapes
    that overlap or leave the slide, text lines wider than their box, text
    taller than its box. An empty list for a clean deck.

    Each paragraph of a text box is one line as this module wrote it; its
    width is measured with the run's size and weight, its height with the
    paragraph's line pitch.
    """
    import io

    from pptx import Presentation

    emu = 914400
    prs = Presentation(io.BytesIO(data))
    width, height = prs.slide_width / emu, prs.slide_height / emu
    problems: list[str] = []
    for number, slide in enumerate(prs.slides, start=1):
        boxes = []
        for shape in slide.shapes:
            box = Box(
                shape.left / emu, shape.top / emu, shape.width / emu, shape.height / emu
            )
            name = f"слайд {number}, «{shape.name}»"
            if box.left < -1e-6 or box.top < -1e-6 or box.right > width + 1e-6 or (
                box.bottom > height + 1e-6
            ):
                problems.append(f"{name}: выходит за слайд")
            for other_name, other in boxes:
                if box.overlaps(other):
                    problems.append(f"{name} перекрывает «{other_name}»")
            boxes.append((shape.name, box))
            if not shape.has_text_frame or not shape.text_frame.text.strip():
                continue
            total = 0.0
            for paragraph in shape.text_frame.paragraphs:
                runs = paragraph.runs
                if not runs or runs[0].font.size is None:
                    problems.append(f"{name}: нет размера шрифта")
                    continue
                size = runs[0].font.size.pt
                bold = bool(runs[0].font.bold)
                line = "".join(run.text for run in runs)
                if text_width(line, size, bold=bold) > box.width + 1e-6:
                    problems.append(f"{name}: строка шире рамки: «{line[:40]}…»")
                pitch = paragraph.line_spacing
                total += pitch.pt / 72 if hasattr(pitch, "pt") else size * 1.2 / 72
            if total > box.height + 1e-6:
                problems.append(
                    f"{name}: текст выше рамки ({total:.2f} > {box.height:.2f} in)"
                )
    return problems
