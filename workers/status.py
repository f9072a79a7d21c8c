"""What ``rota status PLAN`` shows: versions, pending events and jobs, last failure."""

from __future__ import annotations

from typing import Any

from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from workers.keys import replan_job_id
from workers.settings import Settings
from workers.store import PlanStore


def _job_info(store: PlanStore, job_id: str) -> dict[str, Any]:
    try:
        job = Job.fetch(job_id, connection=store.conn, serializer=JSONSerializer)
    except NoSuchJobError:
        return {"id": job_id, "status": "missing"}
    info: dict[str, Any] = {"id": job_id, "status": job.get_status().value}
    progress = job.meta.get("progress")
    if progress:
        info["progress"] = progress[-5:]
    return info


def plan_status(store: PlanStore, settings: Settings) -> dict[str, Any]:
    version = store.current_version()
    meta = store.meta(version) if version else None
    n_events = store.n_events()
    through = meta.events_through if meta else 0
    st = store.status()
    out: dict[str, Any] = {
        "plan": store.plan_id,
        "current_version": version or None,
        "published_at": meta.published_at if meta else None,
        "events_accepted": n_events,
        "events_done": through,
        "events_pending": n_events - through,
        "last_result": st.get("last_result"),
        "last_error": st.get("last_error"),
        "last_error_at": st.get("last_error_at"),
    }
    gen = store.pending_gen()
    if gen is not None:
        out["pending_job"] = _job_info(
            store, replan_job_id(settings.key_prefix, store.plan_id, gen)
        )
    running = st.get("running_job")
    if running and running != st.get("last_job"):
        info = _job_info(store, running)
        if info["status"] == "started":  # ended jobs show as last_job (or failed)
            out["running_job"] = info
    if st.get("last_job"):
        out["last_job"] = _job_info(store, st["last_job"])
    return out
