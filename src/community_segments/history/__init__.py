"""Membership history: who entered and left each segment, recorded by ``segments refresh``.

``community_segments.history.app.refresh_app(app)`` runs a refresh for a Flask app with
the extension; the CLI, the FlaskBB Celery task and cron all call it. Importing this
package imports nothing else (our models module registers the tables from here).
"""
