"""Everything that talks to ftrack: sessions, cache, browsing, the publish flow.

No other package sends a request to ftrack; they call these modules.
"""
