"""GitHub Actions integration: the Python behind action.yml (`python -m reconciler.ci run|report`).

`run` executes one reconcile command and records what it produced; `report` publishes it:
the pull-request comment, the drift issue, the step summary, and the job's outcome. They are
two steps so the plan artifact can be uploaded in between and linked from the comment.
"""
