"""Scenario families for Rootline's independent pandas evaluation set (see ../README.md)."""

from .core import Fault, Node, Pipeline, Scenario, generate
from .families import SITUATIONS

__all__ = ["Fault", "Node", "Pipeline", "SITUATIONS", "Scenario", "generate"]
