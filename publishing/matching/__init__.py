"""Placing dropped files on ftrack tasks from their names (issue 11).

``rules``: naming-rule compilation and validation; ``plan``: matching names and folder paths
against a project's places (``publishing.ftrack.naming``) into a plan with next versions.
"""
