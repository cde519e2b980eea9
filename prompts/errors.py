"""The two ways input can be refused; each message starts with the field it is about."""


class PickError(ValueError):
    """A pick that cannot be turned into a plan; the message names the field."""


class PlanError(ValueError):
    """A plan that cannot be rendered; the message names the field."""
