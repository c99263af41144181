"""Colours in the style sheets are tokens: custom properties set on :root (studio.css, and the admin's
own in admin.css), used everywhere else as var(--...). A literal outside :root drifts from the palette."""

import re
from pathlib import Path

CSS = Path(__file__).resolve().parents[2] / "static" / "css"
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?)\(", re.IGNORECASE)
ADMIN = {"admin.css", "admin_credits.css"}  # on Django's admin pages, with the admin's own tokens too


def declarations(text):
    """(line, property, value, inside a :root block) of every declaration; comments left out."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    found, blocks = [], []
    for m in re.finditer(r"[^{};]*[{};]", text):
        chunk, end = m.group(0)[:-1], m.group(0)[-1]
        if end == "{":
            blocks.append(":root" in chunk and not chunk.strip().startswith("@"))
            continue
        if ":" in chunk:
            prop, value = chunk.split(":", 1)
            line = text.count("\n", 0, m.start() + len(chunk) - len(chunk.lstrip()))
            found.append((line + 1, prop.strip(), value.strip(), any(blocks)))
        if end == "}" and blocks:
            blocks.pop()
    return found


def test_colours_are_tokens_outside_root():
    literals = [
        f"{path.name}:{line}: {prop}: {value}"
        for path in sorted(CSS.glob("*.css"))
        for line, prop, value, in_root in declarations(path.read_text())
        if not in_root and COLOUR.search(value)
    ]
    assert literals == [], "Colour literals outside :root (use a token, or add one to :root):\n" + "\n".join(literals)


def test_the_check_sees_a_literal():
    sheet = ":root { --accent: #5046e5; }\n.a { color: var(--accent); }\n#add-shot { background: rgb(0 0 0); }"
    outside = [(prop, value) for _, prop, value, in_root in declarations(sheet) if not in_root and COLOUR.search(value)]
    assert outside == [("background", "rgb(0 0 0)")]  # not the token's own value, nor an id in a selector


def test_every_token_used_is_set():
    sheets = [path for path in CSS.glob("*.css") if path.name not in ADMIN]
    texts = [path.read_text() for path in sheets]
    tokens = {prop for text in texts for _, prop, _, in_root in declarations(text) if in_root and prop.startswith("--")}
    used = {name for text in texts for name in re.findall(r"var\((--[\w-]+)", text)}
    assert used - tokens == set()


def test_a_class_is_styled_in_one_sheet():
    """.chip once: the same class written in two sheets looks different on different pages."""
    defined = {}
    for path in CSS.glob("*.css"):
        for name in set(re.findall(r"^\.chip\b", re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S), re.M)):
            defined.setdefault(name, []).append(path.name)
    assert defined == {".chip": ["studio.css"]}
