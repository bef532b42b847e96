"""Organisation rules (the `Policy` kind) in CEL, over the desired fleet and over each plan."""

from reconciler.policy.engine import (
    EXEMPT_LABEL,
    CompiledPolicy,
    CompiledRule,
    Inputs,
    Phase,
    compile_policy,
    evaluate,
    exemption_problem,
)

__all__ = [
    "EXEMPT_LABEL",
    "CompiledPolicy",
    "CompiledRule",
    "Inputs",
    "Phase",
    "compile_policy",
    "evaluate",
    "exemption_problem",
]
