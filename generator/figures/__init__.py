"""Figures: arrays -> matplotlib Figure (object API, no pyplot), saved as PNG.

Figures carry no sentences (captions and alt text live in the Markdown), so one
figure serves both languages. Class names in English are fine.
"""
