DROP TABLE secutix_budget;
