"""medtrust: dynamic benchmarking and red-teaming for trustworthy generative AI in healthcare."""

__version__ = "0.1.0"
