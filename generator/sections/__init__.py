"""Report sections: each runs its cached computations, stages its figures and returns its facts."""
