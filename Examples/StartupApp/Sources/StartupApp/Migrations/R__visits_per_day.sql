-- Repeatable: re-applied whenever this file changes.
CREATE OR REPLACE VIEW visits_per_day AS
SELECT date_trunc('day', visited_at) AS day, count(*) AS visits
FROM visit
GROUP BY 1;
