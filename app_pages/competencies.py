"""competencies page."""

from app_pages.theme_page import render

render("competencies")
