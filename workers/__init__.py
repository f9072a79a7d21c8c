"""RQ jobs on Redis: submit, events, re-planning, versioned publishing, notifications.

Flow (queue mode)::

    rota submit CONFIG          validate, store the plan (config + volunteers), queue a re-plan
    rota worker                 RQ worker (JSONSerializer, scheduler on for nightly runs)
    rota event surge PLAN ...   validate, store durably (idempotent id), one pending re-plan
    rota roster show|diff|export|follow PLAN,  rota status PLAN,  rota nightly PLAN

Modules: ``settings`` (ROTA_* environment), ``connection`` (explicit client), ``keys``
(every key name), ``store`` (plans, immutable versions, the check-and-set publish Lua
script, event intake script), ``events`` (event models, validation, intake), ``enqueue``
(unique job ids, timeouts, retries), ``jobs`` (RQ entry points), ``replan`` (events folded
into the plan, stability sets, change stats), ``repair`` (fast fill of the published
roster), ``stream`` (change notifications, consumer groups), ``nightly``, ``status``.

Guarantees: versions are 1, 2, 3, ... with no gap or overwrite (publish is one Lua script
that checks the current version and SETs the new roster key NX); an event is acknowledged
only after it is stored (``ROTA_WAIT_AOF=1`` also waits for the AOF fsync); one pending
re-plan per plan (a generation flag, job id derived from it, ``unique=True``), so events
arriving while one is queued fold into it and later ones into the next; an event is done
(``event_done``) only when a published version includes it; a failed or worse re-plan
leaves the current version in place and is shown by ``rota status``.

Consumer example (an SMS gateway; each entry handled once per group, unacknowledged ones
re-delivered after a crash)::

    rota roster follow shanghai-station --group sms --consumer sms-1
    # or in Python: for eid, entry, ack in workers.stream.follow(conn, keys, "sms", "sms-1"): ...
"""
