class TransitionError(Exception):
    """A state change the rules forbid; the message is written for the person who asked."""
