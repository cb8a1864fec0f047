"""Team assessments: several participants interviewed separately, their evidence merged, the lead's sign-off.

:mod:`.model` holds the saved state, :mod:`.roles` the roles and suggested practices, :mod:`.merge` pools the
evidence and finds disagreements, :mod:`.assemble` builds the assessment, :mod:`.service` is the API
(:class:`~assistant.team.service.Team`), :mod:`.compare` compares versions and :mod:`.audit` exports the trail.
"""
