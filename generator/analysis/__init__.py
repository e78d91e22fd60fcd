"""Analysis: numbers computed from predictions and maps, the facts the commentary is written from."""
