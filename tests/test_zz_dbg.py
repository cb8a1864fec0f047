from tests.test_ui_apptest import *
def test_dbg(app, services):
    iv = Interview.start(services.catalog, services.index, services.engine, services.store, system_name="Line 4", ask_objectives=False)
    app.session_state["smm_session_id"] = iv.session_id
    at = open_page(app, "targets")
    at.selectbox(key="tg-profile").set_value("bottling-line")
    button(at, "Copy these targets").click().run()
    eff = frame(at, "tg-effective").set_index("ID")
    print(eff.to_string())
    a = current_interview(services, at).assessment()
    print(a.targets.practices["E2.1"])
    print([ (e.kind, e.data) for e in a.events if e.practice is None][-3:])
