"""Explanation methods: one module per method; each returns arrays, never files or prose.

Every method has the same call shape: (model, images, targets, ...) -> maps
shaped (N, H, W) like the images, computed in batches.
"""
