-- Running totals per statement, not per row: a statement that writes 1000 ledger rows (a
-- poll batch) now makes one update per (org, kind) instead of 1000 updates of one hot row,
-- whose dead versions every later row had to step over. Open invoice count and balance
-- get the same treatment, so /metrics no longer scans leads.
-- depends: 0004_metrics_totals

DROP TRIGGER finance_ledger_totals ON finance_ledger;

CREATE OR REPLACE FUNCTION finance_ledger_add_to_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO finance_totals (org_id, kind, entries, amount_cents, last_recorded_at)
    SELECT org_id, kind, count(*), sum(amount_cents), max(recorded_at)
    FROM new_rows GROUP BY org_id, kind
    ON CONFLICT (org_id, kind) DO UPDATE
        SET entries = finance_totals.entries + EXCLUDED.entries,
            amount_cents = finance_totals.amount_cents + EXCLUDED.amount_cents,
            last_recorded_at = greatest(finance_totals.last_recorded_at, EXCLUDED.last_recorded_at);
    RETURN NULL;
END $$;

CREATE TRIGGER finance_ledger_totals
    AFTER INSERT ON finance_ledger
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION finance_ledger_add_to_totals();

ALTER TABLE finance_totals SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);

-- Open (Open or Partial) invoices and their balance, per org.
CREATE TABLE open_invoice_totals (
    org_id         bigint PRIMARY KEY REFERENCES orgs (id),
    invoices       bigint NOT NULL DEFAULT 0,
    balance_cents  bigint NOT NULL DEFAULT 0
);
ALTER TABLE open_invoice_totals SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);

CREATE FUNCTION leads_open_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO open_invoice_totals (org_id, invoices, balance_cents)
        SELECT org_id, count(*), coalesce(sum(qbo_balance_cents), 0) FROM new_rows
        WHERE qbo_invoice_id IS NOT NULL AND qbo_status IN ('Open', 'Partial') GROUP BY org_id
        ON CONFLICT (org_id) DO UPDATE
            SET invoices = open_invoice_totals.invoices + EXCLUDED.invoices,
                balance_cents = open_invoice_totals.balance_cents + EXCLUDED.balance_cents;
    ELSE
        INSERT INTO open_invoice_totals (org_id, invoices, balance_cents)
        SELECT org_id, sum(n), sum(b) FROM (
            SELECT org_id, count(*) AS n, coalesce(sum(qbo_balance_cents), 0) AS b FROM new_rows
            WHERE qbo_invoice_id IS NOT NULL AND qbo_status IN ('Open', 'Partial') GROUP BY org_id
            UNION ALL
            SELECT org_id, -count(*), -coalesce(sum(qbo_balance_cents), 0) FROM old_rows
            WHERE qbo_invoice_id IS NOT NULL AND qbo_status IN ('Open', 'Partial') GROUP BY org_id
        ) AS delta GROUP BY org_id
        HAVING sum(n) <> 0 OR sum(b) <> 0
        ON CONFLICT (org_id) DO UPDATE
            SET invoices = open_invoice_totals.invoices + EXCLUDED.invoices,
                balance_cents = open_invoice_totals.balance_cents + EXCLUDED.balance_cents;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER leads_open_totals_insert
    AFTER INSERT ON leads REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION leads_open_totals();
CREATE TRIGGER leads_open_totals_update
    AFTER UPDATE ON leads REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION leads_open_totals();

INSERT INTO open_invoice_totals (org_id, invoices, balance_cents)
SELECT org_id, count(*), coalesce(sum(qbo_balance_cents), 0) FROM leads
WHERE qbo_invoice_id IS NOT NULL AND qbo_status IN ('Open', 'Partial') GROUP BY org_id;
