"""The offline engine: plain-English prompts -> an API spec -> a working FastAPI project.

Deterministic and stateless: a follow-up reads the previous spec from the previous version's
``.apiforge/spec.json``. Entry points: :func:`generate`, :func:`parse_prompt`, :func:`describe`.
"""

from apiforge.engine.describe import describe
from apiforge.engine.engine import EngineResult, generate, parse_prompt
from apiforge.engine.followup import apply_followup, apply_followup_parts
from apiforge.engine.spec import SPEC_PATH, ApiSpec
from apiforge.engine.stream_text import tagged_text

__all__ = [
    "SPEC_PATH",
    "ApiSpec",
    "EngineResult",
    "apply_followup",
    "apply_followup_parts",
    "describe",
    "generate",
    "parse_prompt",
    "tagged_text",
]
