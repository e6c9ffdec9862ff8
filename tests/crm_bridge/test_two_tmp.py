import threading, traceback
from tests.crm_bridge.test_jobs import *  # noqa
from tests.crm_bridge import test_jobs as tj

def test_two(engine, redis, session, settings, remote, proxy, crm_settings):
    ticket = tj.open_ticket(session, settings)
    configure(crm_settings)
    proxy.mode, proxy.stall_seconds = "stall", 0.5
    results = []
    def go():
        try:
            results.append(jobs.deliver_ticket(ticket_id=ticket.id))
        except BaseException:
            results.append(traceback.format_exc())
    ws = [threading.Thread(target=go) for _ in range(2)]
    for w in ws: w.start()
    for w in ws: w.join()
    print(results)
