"""The policy filter every draft and agent edit passes, and the customer-message risk scan.

    from replydraft.policy import check, scan_customer
    result = check("亲，加我微信，保证明天到", platform="jd", store=store)
    result.clean, result.text, result.violations

Rules are data (``policy/rules/*.yaml``), loaded, validated and compiled once on first use;
call ``preload()`` at start-up to fail fast on a bad rule file.
"""

from replydraft.policy.customer_scan import scan_customer
from replydraft.policy.engine import PolicyEngine, default_engine, preload
from replydraft.policy.filter import check
from replydraft.policy.models import PolicyResult, RiskFlag, Violation

__all__ = [
    "PolicyEngine",
    "PolicyResult",
    "RiskFlag",
    "Violation",
    "check",
    "default_engine",
    "preload",
    "scan_customer",
]
