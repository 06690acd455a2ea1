"""政策找企业: a policy / FAQ library matched against appeals and questions."""

from handlers.policy.library import (
    DEFAULT_POLICY_FILE,
    Policy,
    PolicyError,
    PolicyLibrary,
    load_policies,
)

__all__ = ["DEFAULT_POLICY_FILE", "Policy", "PolicyError", "PolicyLibrary", "load_policies"]
