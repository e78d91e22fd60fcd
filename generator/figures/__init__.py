"""Figures: arrays -> image grids (composed pixel by pixel) or matplotlib Figures (object API, no
pyplot), saved as PNG.

Figures carry no words: headers, axis names, legends, colour scales, captions and alt text are written
in the page, in its language, so one figure serves every language. Numbers on axes are fine.
"""
