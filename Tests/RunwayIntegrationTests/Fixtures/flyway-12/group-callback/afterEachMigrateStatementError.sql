SELECT 'statement error callback';
