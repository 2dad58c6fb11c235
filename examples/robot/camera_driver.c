/* camera_driver: a C sensor driver of the robot demo.
 *
 * Publishes synthetic 480x640x3 uint8 camera frames at 60 Hz (written in
 * place with loan/commit: no copy) and 6-float IMU samples at 500 Hz, on the
 * pools "demo/camera" and "demo/imu". Runs until SIGINT/SIGTERM or --duration.
 *
 *   camera_driver [--duration S] [--camera-hz HZ] [--imu-hz HZ] [--prefix P]
 */
#include "tensor_ipc.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t t_ns)
{
    struct timespec ts = {(time_t)(t_ns / 1000000000), (long)(t_ns % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
        ;
}

static tipc_producer *open_pool(const char *name, tipc_dtype dt, size_t ndim,
                                const int64_t *shape, uint32_t history)
{
    tipc_metadata *md = NULL;
    tipc_producer *p = NULL;
    if (tipc_metadata_create(&md, name, dt, ndim, shape, TIPC_BACKEND_NUMPY, history, NULL) ||
        tipc_producer_create(&p, md, NULL)) {
        fprintf(stderr, "camera_driver: %s\n", tipc_last_error());
        p = NULL;
    }
    tipc_metadata_destroy(md);
    return p;
}

/* A moving gradient with the frame counter in the first 8 bytes. */
static void render(uint8_t *img, uint64_t k)
{
    for (int y = 0; y < 480; y++) {
        uint8_t v = (uint8_t)(y + k * 3);
        memset(img + (size_t)y * 640 * 3, v, 640 * 3);
    }
    memcpy(img, &k, sizeof k);
}

int main(int argc, char **argv)
{
    double duration = 0, camera_hz = 60, imu_hz = 500;
    const char *prefix = "demo";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: camera_driver [--duration S] [--camera-hz HZ] [--imu-hz HZ] "
                   "[--prefix P]\n"
                   "Publishes P/camera (480x640x3 uint8, loan/commit) and P/imu (6 float32).\n"
                   "Runs until SIGINT/SIGTERM, or for S seconds (0 = forever).\n");
            return 0;
        } else if (i + 1 < argc && !strcmp(argv[i], "--duration")) {
            duration = atof(argv[++i]);
        } else if (i + 1 < argc && !strcmp(argv[i], "--camera-hz")) {
            camera_hz = atof(argv[++i]);
        } else if (i + 1 < argc && !strcmp(argv[i], "--imu-hz")) {
            imu_hz = atof(argv[++i]);
        } else if (i + 1 < argc && !strcmp(argv[i], "--prefix")) {
            prefix = argv[++i];
        } else {
            fprintf(stderr, "camera_driver: unknown argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (camera_hz <= 0 || imu_hz <= 0) {
        fprintf(stderr, "camera_driver: rates must be > 0\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    char cam_name[96], imu_name[96];
    snprintf(cam_name, sizeof cam_name, "%s/camera", prefix);
    snprintf(imu_name, sizeof imu_name, "%s/imu", prefix);
    const int64_t cam_shape[3] = {480, 640, 3}, imu_shape[1] = {6};
    tipc_producer *cam = open_pool(cam_name, TIPC_DTYPE_UINT8, 3, cam_shape, 8);
    tipc_producer *imu = open_pool(imu_name, TIPC_DTYPE_FLOAT32, 1, imu_shape, 64);
    if (!cam || !imu) {
        tipc_producer_destroy(cam);
        tipc_producer_destroy(imu);
        return 1;
    }
    printf("camera_driver: publishing %s at %.0f Hz and %s at %.0f Hz; start the policy "
           "(examples/robot/policy.py) to consume them\n",
           cam_name, camera_hz, imu_name, imu_hz);
    fflush(stdout);

    const int64_t cam_period = (int64_t)(1e9 / camera_hz), imu_period = (int64_t)(1e9 / imu_hz);
    const int64_t start = mono_ns();
    const int64_t end = duration > 0 ? start + (int64_t)(duration * 1e9) : INT64_MAX;
    int64_t next_cam = start, next_imu = start;
    uint64_t frames = 0, samples = 0;
    int rc = 0;
    while (!stop) {
        int64_t next = next_cam < next_imu ? next_cam : next_imu;
        if (next >= end)
            break;
        sleep_until(next);
        if (stop)
            break;
        if (mono_ns() >= next_cam) {
            void *slot;
            if (tipc_producer_loan(cam, &slot, NULL) != TIPC_OK) {
                fprintf(stderr, "camera_driver: %s\n", tipc_last_error());
                rc = 1;
                break;
            }
            render(slot, frames);
            tipc_producer_commit(cam, NULL);
            frames++;
            next_cam += cam_period;
        }
        if (mono_ns() >= next_imu) {
            double t = (double)samples / imu_hz;
            float s[6] = {(float)sin(t), (float)cos(t), 9.81f, 0.01f * (float)sin(3 * t),
                          0.02f * (float)cos(2 * t), 0.0f};
            if (tipc_producer_put(imu, s, sizeof s, NULL) != TIPC_OK) {
                fprintf(stderr, "camera_driver: %s\n", tipc_last_error());
                rc = 1;
                break;
            }
            samples++;
            next_imu += imu_period;
        }
    }
    double secs = (double)(mono_ns() - start) / 1e9;
    printf("camera_driver: %llu camera frames (%.1f Hz), %llu IMU samples (%.1f Hz) in %.1f s\n",
           (unsigned long long)frames, (double)frames / secs, (unsigned long long)samples,
           (double)samples / secs, secs);
    tipc_producer_destroy(cam);
    tipc_producer_destroy(imu);
    return rc;
}
