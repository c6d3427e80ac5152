/*
 * publish_topics.c - what the producer asks the brokers about topics (publish.h): whether
 * they create missing topics (DescribeConfigs, asked once per producer), whether a topic
 * exists (metadata), and creating a compacted one (CreateTopics). Start-up runs these on the
 * topic-check thread (ingest/topics.c), cluster mode on its own start; none runs on the loop.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "publish.h"
#include "publish_internal.h"
#include "util.h"

/* The broker's auto.create.topics.enable, by DescribeConfigs: 1, 0, or -1 when unknown. */
static int
describe_creates_topics(rd_kafka_t *kafka, int timeout_ms)
{
	const struct rd_kafka_metadata *metadata = NULL;
	rd_kafka_ConfigResource_t *resource;
	rd_kafka_AdminOptions_t *options;
	rd_kafka_queue_t *queue;
	rd_kafka_event_t *event;
	char broker[16];
	int answer = -1;

	if (rd_kafka_metadata(kafka, 0, NULL, &metadata, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return -1;
	if (metadata->broker_cnt == 0) {
		rd_kafka_metadata_destroy(metadata);
		return -1;
	}
	snprintf(broker, sizeof broker, "%d", metadata->brokers[0].id);
	rd_kafka_metadata_destroy(metadata);
	resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, broker);
	options = rd_kafka_AdminOptions_new(kafka, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, NULL, 0);
	queue = rd_kafka_queue_new(kafka);
	rd_kafka_DescribeConfigs(kafka, &resource, 1, options, queue);
	event = rd_kafka_queue_poll(queue, timeout_ms + 1000);
	if (event != NULL && rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		const rd_kafka_DescribeConfigs_result_t *result =
		    rd_kafka_event_DescribeConfigs_result(event);
		size_t resources = 0, entries = 0;
		const rd_kafka_ConfigResource_t **described =
		    rd_kafka_DescribeConfigs_result_resources(result, &resources);
		const rd_kafka_ConfigEntry_t **configs = resources > 0 &&
		    rd_kafka_ConfigResource_error(described[0]) == RD_KAFKA_RESP_ERR_NO_ERROR ?
		    rd_kafka_ConfigResource_configs(described[0], &entries) : NULL;
		for (size_t i = 0; i < entries; i++) {
			const char *value = rd_kafka_ConfigEntry_value(configs[i]);
			if (strcmp(rd_kafka_ConfigEntry_name(configs[i]),
			    "auto.create.topics.enable") == 0)
				answer = value != NULL && strcmp(value, "true") == 0;
		}
	}
	if (event != NULL)
		rd_kafka_event_destroy(event);
	rd_kafka_queue_destroy(queue);
	rd_kafka_AdminOptions_destroy(options);
	rd_kafka_ConfigResource_destroy(resource);
	return answer;
}

/*
 * The same, asked once per producer: start-up checks every topic the configuration names, and
 * each missing one would otherwise cost another DescribeConfigs round trip.
 */
static int
broker_creates_topics(struct publisher *publisher, int timeout_ms)
{
	if (publisher->creates_topics < 0)
		publisher->creates_topics = describe_creates_topics(publisher->kafka, timeout_ms);
	return publisher->creates_topics;
}

int
publisher_check_topic(struct publisher *publisher, const char *topic, int timeout_ms,
    char *error, size_t error_size)
{
	rd_kafka_topic_t *handle = rd_kafka_topic_new(publisher->kafka, topic, NULL);
	const struct rd_kafka_metadata *metadata = NULL;
	rd_kafka_resp_err_t result;

	result = rd_kafka_metadata(publisher->kafka, 0, handle, &metadata, timeout_ms);
	rd_kafka_topic_destroy(handle);
	if (result != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(error, error_size, "broker unreachable: %s", rd_kafka_err2str(result));
		return 1;
	}
	result = metadata->topic_cnt > 0 ? metadata->topics[0].err :
	    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
	rd_kafka_metadata_destroy(metadata);
	if (result != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
		return 0;	/* exists (or its leader is being elected) */
	/* Missing: fine if the broker creates topics on first use, an error if it will not. */
	if (broker_creates_topics(publisher, timeout_ms) != 0)
		return 0;
	snprintf(error, error_size, "kafka topic \"%s\" does not exist and the broker does not "
	    "create topics (auto.create.topics.enable=false): create it first", topic);
	return -1;
}

/* The error of the one topic a CreateTopics result names. */
static rd_kafka_resp_err_t
created_topic_error(rd_kafka_event_t *event, const char **reason)
{
	const rd_kafka_CreateTopics_result_t *result = rd_kafka_event_CreateTopics_result(event);
	size_t count = 0;
	const rd_kafka_topic_result_t **topics = result != NULL ?
	    rd_kafka_CreateTopics_result_topics(result, &count) : NULL;

	*reason = rd_kafka_event_error_string(event);
	if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR || count == 0)
		return rd_kafka_event_error(event) ? rd_kafka_event_error(event) :
		    RD_KAFKA_RESP_ERR__FAIL;
	*reason = rd_kafka_topic_result_error_string(topics[0]);
	return rd_kafka_topic_result_error(topics[0]);
}

int
publisher_create_compacted(struct publisher *publisher, const char *topic, int timeout_ms,
    char *error, size_t error_size)
{
	rd_kafka_NewTopic_t *fresh = rd_kafka_NewTopic_new(topic, -1, -1, error, error_size);
	rd_kafka_AdminOptions_t *options;
	rd_kafka_queue_t *queue;
	rd_kafka_event_t *event;
	rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR__TIMED_OUT;
	const char *reason = "timed out";

	if (fresh == NULL)
		return -1;
	rd_kafka_NewTopic_set_config(fresh, "cleanup.policy", "compact");
	options = rd_kafka_AdminOptions_new(publisher->kafka, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, NULL, 0);
	queue = rd_kafka_queue_new(publisher->kafka);
	rd_kafka_CreateTopics(publisher->kafka, &fresh, 1, options, queue);
	if ((event = rd_kafka_queue_poll(queue, timeout_ms + 1000)) != NULL) {
		result = created_topic_error(event, &reason);
		if (result != RD_KAFKA_RESP_ERR_NO_ERROR)
			snprintf(error, error_size, "%s", reason ? reason : rd_kafka_err2str(result));
		rd_kafka_event_destroy(event);
	} else
		snprintf(error, error_size, "%s", reason);
	rd_kafka_queue_destroy(queue);
	rd_kafka_AdminOptions_destroy(options);
	rd_kafka_NewTopic_destroy(fresh);
	if (result == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
		return 1;
	return result == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}
