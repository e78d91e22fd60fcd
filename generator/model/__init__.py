"""The model being explained: build and train the report's own CNN, or load a user's file safely
(Keras 2 clean-up, rebuilding as one functional model), adapt images to its input, and make its
inference copy with batch normalisations folded (folding)."""
