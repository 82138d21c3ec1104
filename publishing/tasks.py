"""Every Celery task of the portal, registered with each worker.

Celery's autodiscovery looks for ``publishing.tasks`` only; each subject keeps its tasks in its own
``tasks`` module, imported here. Task names are explicit strings (``publishing.tasks.publish_job``,
...) that never change with the code's layout, so messages already queued still find their task.
"""

from publishing.notify import tasks as notify_tasks
from publishing.pipeline import tasks as pipeline_tasks
from publishing.uploads import tasks as upload_tasks
from publishing.vault import tasks as vault_tasks

__all__ = ["notify_tasks", "pipeline_tasks", "upload_tasks", "vault_tasks"]
