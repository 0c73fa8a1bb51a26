/* Copyright: the example authors. */

#include <stdio.h>
#include <stdlib.h>
#include "queue.h"

#define QUEUE_MAX 128
#define QUEUE_EMPTY(q) ((q)->length == 0)

/* A fixed-size ring of integers. */
struct queue {
    int items[QUEUE_MAX];
    size_t head;
    size_t length;
};

typedef struct queue queue_t;

enum status { OK, FULL, EMPTY };

static int verbose = 0;

int queue_push(queue_t *q, int value);

// Creates an empty queue, or NULL when memory runs out.
queue_t *queue_new(void) {
    queue_t *q = calloc(1, sizeof(queue_t));
    return q;
}

/* Appends a value; FULL when there is no room. */
int queue_push(queue_t *q, int value) {
    if (q->length == QUEUE_MAX) {
        return FULL;
    }
    q->items[(q->head + q->length) % QUEUE_MAX] = value;
    q->length++;
    if (verbose) {
        printf("pushed %d\n", value);
    }
    return OK;
}

int main(void) {
    queue_t *q = queue_new();
    queue_push(q, 42);
    free(q);
    return QUEUE_EMPTY(q);
}
