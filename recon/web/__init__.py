"""The browser pages of the core: runs, the queue, disputes, periods, audit trail and settings; login and its throttling."""
