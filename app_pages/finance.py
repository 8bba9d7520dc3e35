"""finance page."""

from app_pages.theme_page import render

render("finance")
