"""Test and evaluation page generators: rendered Vietnamese administrative pages with their truth.

Not part of the product package: tests, scripts and the bundled sample use them."""
