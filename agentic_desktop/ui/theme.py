"""Dark and light themes: Fusion style, a QPalette and a small stylesheet for what the palette
cannot express. The first start follows the system colour scheme; later the user's choice
(View → Theme) is remembered in the settings."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("dark", "light")


@dataclass(frozen=True)
class ThemeColors:
    name: str
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    button: str
    highlight: str
    border: str
    canvas: str
    grid: str
    node: str
    node_text: str
    note: str
    note_text: str


DARK = ThemeColors(
    name="dark", window="#1f2125", base="#181a1e", alt_base="#23262b", text="#e6e8eb",
    muted="#9aa1ab", button="#2a2d33", highlight="#3d7bfd", border="#3a3e45",
    canvas="#17191c", grid="#23262b", node="#2a2d33", node_text="#eef0f2",
    note="#4a4426", note_text="#f3ecc8",
)
LIGHT = ThemeColors(
    name="light", window="#f3f4f6", base="#ffffff", alt_base="#f6f7f9", text="#1d2125",
    muted="#5c6470", button="#e9ebee", highlight="#2f6ee8", border="#c9ced6",
    canvas="#fafbfc", grid="#eceef1", node="#ffffff", node_text="#1d2125",
    note="#fff3b0", note_text="#3b3310",
)


def colors(name: str) -> ThemeColors:
    return DARK if name == "dark" else LIGHT


def system_theme() -> str:
    hints = QGuiApplication.styleHints()
    return "dark" if hints.colorScheme() == Qt.ColorScheme.Dark else "light"


def _palette(c: ThemeColors) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, value in (
        (role.Window, c.window), (role.WindowText, c.text), (role.Base, c.base),
        (role.AlternateBase, c.alt_base), (role.ToolTipBase, c.alt_base),
        (role.ToolTipText, c.text), (role.Text, c.text), (role.Button, c.button),
        (role.ButtonText, c.text), (role.Highlight, c.highlight),
        (role.HighlightedText, "#ffffff"), (role.Link, c.highlight),
        (role.PlaceholderText, c.muted), (role.Mid, c.border), (role.Dark, c.border),
    ):
        p.setColor(r, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(disabled, r, QColor(c.muted))
    return p


def _stylesheet(c: ThemeColors) -> str:
    return f"""
QToolTip {{ color: {c.text}; background: {c.alt_base}; border: 1px solid {c.border}; }}
QToolBar#Navigation {{ background: {c.alt_base}; border: none; border-right: 1px solid {c.border};
    padding: 6px 0; spacing: 2px; }}
QToolBar#Navigation QToolButton {{ padding: 8px 12px; border: none; border-left: 3px solid
    transparent; text-align: left; font-size: 10.5pt; color: {c.muted}; }}
QToolBar#Navigation QToolButton:hover {{ background: {c.button}; color: {c.text}; }}
QToolBar#Navigation QToolButton:checked {{ background: {c.button}; color: {c.text};
    border-left: 3px solid {c.highlight}; font-weight: 600; }}
QLabel#EmptyTitle {{ font-size: 15pt; font-weight: 600; color: {c.text}; }}
QLabel#EmptyBody {{ color: {c.muted}; font-size: 10.5pt; }}
QLabel#FieldError {{ color: #e5484d; }}
QLabel#Muted {{ color: {c.muted}; }}
QDockWidget::title {{ padding: 4px 6px; background: {c.alt_base}; }}
QStatusBar QLabel {{ padding: 0 8px; color: {c.muted}; }}
"""


def apply_theme(app: QApplication, name: str) -> ThemeColors:
    c = colors(name)
    app.setStyle("Fusion")
    app.setPalette(_palette(c))
    app.setStyleSheet(_stylesheet(c))
    # Let views that paint themselves (the canvas) know which colours to use.
    app.setProperty("agentic_theme", c.name)
    return c


def current_colors() -> ThemeColors:
    app = QApplication.instance()
    name = app.property("agentic_theme") if app is not None else None
    return colors(name if isinstance(name, str) else "dark")
