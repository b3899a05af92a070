"""Reading a rendered form back as the browser would submit it.

`submitted(page)` gives, for the page's own form (the first one posting to the page itself), what a browser sends when the user presses the
button without touching anything: text inputs and textareas with their values, the ticked
checkboxes and radios, the selected options. The round-trip tests compare that with what was
typed, so a field the page drops or renders in a shape the browser ignores (a date an
`<input type=date>` cannot show, a list joined with an escaped newline) fails the test.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class FormReader(HTMLParser):
    def __init__(self, form_index: int, action: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_index = form_index
        self.action = action
        self.forms_seen = -1
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.select: tuple[str, bool] | None = None  # name, multiple
        self.select_options: list[tuple[str, bool]] = []
        self.option_value: str | None = None
        self.option_text = ""
        self.option_selected = False
        self.textarea: str | None = None
        self.textarea_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v if v is not None else "" for k, v in attrs}
        # the page's own form (not the header's 退出), or the one posting to `action`
        if tag == "form" and (a.get("action") or None) == self.action:
            self.forms_seen += 1
            self.inside = self.forms_seen == self.form_index
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea, self.textarea_text = name, ""
        elif tag == "select" and name:
            self.select, self.select_options = (name, "multiple" in a), []
        elif tag == "option" and self.select is not None:
            self.option_value = a.get("value")
            self.option_text = ""
            self.option_selected = "selected" in a

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea_text += data
        if self.select is not None and self.option_value is None:
            self.option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        if not self.inside:
            return
        if tag == "textarea" and self.textarea is not None:
            # a browser drops the one newline right after <textarea>
            text = self.textarea_text[1:] if self.textarea_text.startswith("\n") else self.textarea_text
            self.fields.append((self.textarea, text))
            self.textarea = None
        elif tag == "option" and self.select is not None:
            value = self.option_value if self.option_value is not None else self.option_text.strip()
            self.select_options.append((value, self.option_selected))
            self.option_value = None
        elif tag == "select" and self.select is not None:
            name, multiple = self.select
            chosen = [v for v, selected in self.select_options if selected]
            if not multiple and not chosen and self.select_options:
                chosen = [self.select_options[0][0]]  # a single select always sends one option
            self.fields.extend((name, v) for v in (chosen if multiple else chosen[-1:]))
            self.select = None


def submitted(page: str | bytes, form_index: int = 0, *, action: str | None = None) -> dict[str, Any]:
    """name → value (a list where the form sends the name more than once or it is a checkbox group)."""
    reader = FormReader(form_index, action)
    reader.feed(page.decode() if isinstance(page, bytes) else page)
    out: dict[str, Any] = {}
    for name, value in reader.fields:
        if name in out:
            out[name] = [*out[name], value] if isinstance(out[name], list) else [out[name], value]
        else:
            out[name] = value
    return out


def as_lists(data: dict[str, Any]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in data.items()}
