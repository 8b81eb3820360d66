DROP TABLE claims_requests;
