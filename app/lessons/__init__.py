"""Lessons: files in lessons/ (and a teacher's directory) loaded and checked at start-up, and their Markdown
and TeX rendered for the page. The math they ask about lives in engine/lessons."""
