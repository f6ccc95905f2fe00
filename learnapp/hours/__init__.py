"""The 学时 ledger: append-only credit entries, the versioned rule sets, and the admin screens."""


def init_app(app) -> None:
    from learnapp.hours.labels import correction_label, entry_text, hours_category_label
    from learnapp.hours.views import bp

    app.register_blueprint(bp)
    app.add_template_global(hours_category_label)
    app.add_template_global(correction_label)
    app.add_template_global(entry_text, "ledger_entry_text")
