-- Orgs, leads, the Stripe event inbox, QBO connections and the append-only ledger.
-- Unique constraints make duplicates impossible at the database level; the ledger
-- refuses UPDATE/DELETE and keeps per-org running totals in the same transaction.

CREATE TABLE orgs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE qbo_connections (
    org_id           bigint PRIMARY KEY REFERENCES orgs (id),
    realm_id         text NOT NULL,
    environment      text NOT NULL CHECK (environment IN ('sandbox', 'production')),
    token_secret_id  text NOT NULL,
    item_id          text NOT NULL DEFAULT '1',
    status           text NOT NULL DEFAULT 'connected' CHECK (status IN ('connected', 'disconnected')),
    last_error       text,
    connected_at     timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE leads (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id                 bigint NOT NULL REFERENCES orgs (id),
    contact_name           text NOT NULL CHECK (length(contact_name) BETWEEN 1 AND 200),
    contact_email          text NOT NULL CHECK (length(contact_email) BETWEEN 3 AND 254),
    company_name           text CHECK (length(company_name) <= 200),
    proposal_amount_cents  bigint NOT NULL CHECK (proposal_amount_cents > 0),
    currency               char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status                 text NOT NULL DEFAULT 'new'
                           CHECK (status IN ('new', 'proposal_sent', 'approved', 'won', 'lost')),
    qbo_customer_id        text,
    qbo_invoice_id         text,
    qbo_invoice_number     text,
    qbo_status             text CHECK (qbo_status IN ('Open', 'Partial', 'Paid', 'Voided', 'Deleted')),
    qbo_balance_cents      bigint CHECK (qbo_balance_cents >= 0),
    qbo_total_cents        bigint CHECK (qbo_total_cents >= 0),
    qbo_last_sync_at       timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, qbo_invoice_id)
);
CREATE INDEX leads_org_qbo_status ON leads (org_id, qbo_status) WHERE qbo_invoice_id IS NOT NULL;
CREATE INDEX leads_created_at ON leads (created_at);

-- Every Stripe event, once, keyed by Stripe's event id. payload keeps only the fields
-- this system uses (no card data).
CREATE TABLE stripe_events (
    event_id       text PRIMARY KEY CHECK (length(event_id) BETWEEN 1 AND 255),
    event_type     text NOT NULL,
    livemode       boolean NOT NULL DEFAULT false,
    payment_key    text,
    org_id         bigint,
    lead_id        bigint,
    amount_cents   bigint,
    currency       char(3),
    payload        jsonb NOT NULL,
    status         text NOT NULL CHECK (status IN ('received', 'processed', 'ignored', 'rejected')),
    reason         text,
    received_at    timestamptz NOT NULL DEFAULT now(),
    processed_at   timestamptz
);
CREATE INDEX stripe_events_status ON stripe_events (status, received_at);

-- Append-only finance ledger: one row per countable fact.
CREATE TABLE finance_ledger (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id           bigint NOT NULL REFERENCES orgs (id),
    lead_id          bigint REFERENCES leads (id),
    kind             text NOT NULL CHECK (kind IN ('invoice_generated', 'payment_received', 'invoice_paid')),
    source_ref       text NOT NULL,
    amount_cents     bigint NOT NULL DEFAULT 0 CHECK (amount_cents >= 0),
    currency         char(3),
    stripe_event_id  text REFERENCES stripe_events (event_id),
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, kind, source_ref)
);

-- Running totals, so that a scrape costs O(orgs), not O(ledger rows).
CREATE TABLE finance_totals (
    org_id        bigint NOT NULL REFERENCES orgs (id),
    kind          text NOT NULL,
    entries       bigint NOT NULL DEFAULT 0,
    amount_cents  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, kind)
);

CREATE FUNCTION finance_ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'finance_ledger is append-only (% refused)', TG_OP;
END $$;

CREATE TRIGGER finance_ledger_append_only
    BEFORE UPDATE OR DELETE ON finance_ledger
    FOR EACH ROW EXECUTE FUNCTION finance_ledger_refuse_change();
CREATE TRIGGER finance_ledger_no_truncate
    BEFORE TRUNCATE ON finance_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION finance_ledger_refuse_change();

CREATE FUNCTION finance_ledger_add_to_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO finance_totals (org_id, kind, entries, amount_cents)
    VALUES (NEW.org_id, NEW.kind, 1, NEW.amount_cents)
    ON CONFLICT (org_id, kind) DO UPDATE
        SET entries = finance_totals.entries + 1,
            amount_cents = finance_totals.amount_cents + EXCLUDED.amount_cents;
    RETURN NEW;
END $$;

CREATE TRIGGER finance_ledger_totals
    AFTER INSERT ON finance_ledger
    FOR EACH ROW EXECUTE FUNCTION finance_ledger_add_to_totals();
