-- Running totals for /metrics, kept by triggers in the same transaction as the facts they
-- count, so that a scrape reads O(orgs) rows however long the history grows.
-- depends: 0003_invoice_poller

ALTER TABLE finance_totals ADD COLUMN last_recorded_at timestamptz;

CREATE OR REPLACE FUNCTION finance_ledger_add_to_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO finance_totals (org_id, kind, entries, amount_cents, last_recorded_at)
    VALUES (NEW.org_id, NEW.kind, 1, NEW.amount_cents, NEW.recorded_at)
    ON CONFLICT (org_id, kind) DO UPDATE
        SET entries = finance_totals.entries + 1,
            amount_cents = finance_totals.amount_cents + EXCLUDED.amount_cents,
            last_recorded_at = greatest(finance_totals.last_recorded_at, EXCLUDED.last_recorded_at);
    RETURN NEW;
END $$;

UPDATE finance_totals t SET last_recorded_at = l.last
FROM (SELECT org_id, kind, max(recorded_at) AS last FROM finance_ledger GROUP BY 1, 2) l
WHERE t.org_id = l.org_id AND t.kind = l.kind;

-- Stripe events by type and outcome; Stripe money processed per org.
CREATE TABLE stripe_event_totals (
    event_type  text NOT NULL,
    outcome     text NOT NULL,
    events      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (event_type, outcome)
);

CREATE TABLE stripe_payment_totals (
    org_id        bigint PRIMARY KEY REFERENCES orgs (id),
    amount_cents  bigint NOT NULL DEFAULT 0
);

CREATE FUNCTION stripe_events_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO stripe_event_totals VALUES (NEW.event_type, 'received', 1)
        ON CONFLICT (event_type, outcome) DO UPDATE SET events = stripe_event_totals.events + 1;
    END IF;
    IF NEW.status <> 'received' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status) THEN
        INSERT INTO stripe_event_totals VALUES (NEW.event_type, NEW.status, 1)
        ON CONFLICT (event_type, outcome) DO UPDATE SET events = stripe_event_totals.events + 1;
        IF NEW.status = 'processed' AND NEW.org_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM orgs WHERE id = NEW.org_id) THEN
            INSERT INTO stripe_payment_totals VALUES (NEW.org_id, coalesce(NEW.amount_cents, 0))
            ON CONFLICT (org_id) DO UPDATE
                SET amount_cents = stripe_payment_totals.amount_cents + EXCLUDED.amount_cents;
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER stripe_events_totals
    AFTER INSERT OR UPDATE OF status ON stripe_events
    FOR EACH ROW EXECUTE FUNCTION stripe_events_count();

INSERT INTO stripe_event_totals (event_type, outcome, events)
SELECT event_type, 'received', count(*) FROM stripe_events GROUP BY 1
UNION ALL
SELECT event_type, status, count(*) FROM stripe_events WHERE status <> 'received' GROUP BY 1, 2;

INSERT INTO stripe_payment_totals (org_id, amount_cents)
SELECT e.org_id, sum(e.amount_cents) FROM stripe_events e JOIN orgs o ON o.id = e.org_id
WHERE e.status = 'processed' GROUP BY 1;

-- Poll runs by outcome.
CREATE TABLE poll_run_totals (
    org_id   bigint NOT NULL REFERENCES orgs (id),
    outcome  text NOT NULL,
    runs     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, outcome)
);

CREATE FUNCTION poll_runs_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.outcome IS NULL AND NEW.outcome IS NOT NULL THEN
        INSERT INTO poll_run_totals VALUES (NEW.org_id, NEW.outcome, 1)
        ON CONFLICT (org_id, outcome) DO UPDATE SET runs = poll_run_totals.runs + 1;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER poll_runs_totals
    AFTER UPDATE OF outcome ON poll_runs
    FOR EACH ROW EXECUTE FUNCTION poll_runs_count();

INSERT INTO poll_run_totals (org_id, outcome, runs)
SELECT org_id, outcome, count(*) FROM poll_runs WHERE outcome IS NOT NULL GROUP BY 1, 2;
