"""jkstool: build, inspect, convert and check Java keystores and truststores for mutual TLS."""

__version__ = "0.1.0"
