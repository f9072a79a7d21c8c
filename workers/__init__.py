"""RQ jobs on Redis: submit, events, re-planning, versioned publishing."""
