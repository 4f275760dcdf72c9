from tests.programmes.milestones.helpers import today

__all__ = ["today"]
