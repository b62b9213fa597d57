"""One thin router per feature: parse, one domain call, render."""
