class TransitionError(Exception):
    """A state change the rules forbid; the message is written for the person who asked."""


class ConflictError(TransitionError):
    """Someone changed the record after this person read it: nothing was saved, so their
    change does not silently undo the other one."""
