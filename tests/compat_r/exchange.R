# The R side of `make compat-r`: R's tfevents writes one logdir of every kind, or reads one back.
#
#   Rscript exchange.R write LOGDIR TABLE   log every kind into LOGDIR; TABLE gets what was logged
#   Rscript exchange.R read LOGDIR TABLE    read LOGDIR with collect_events() and value(); TABLE gets
#                                           what R read, or the error value() raised
#
# TABLE has one tab-separated line per field of a value: section, run, tag, step, plugin, field, type,
# payload. Type "num": numbers, 17 significant digits, separated by spaces; "str": strings, each the
# hex of its UTF-8 bytes (so tabs, newlines and any character pass), separated by spaces; "na": no
# value. Arrays are given in R's column-major order, their dims in a field "dim" of their own.

suppressPackageStartupMessages(library(tfevents))

lines <- character()

hex <- function(x) {
  vapply(enc2utf8(as.character(x)), function(s) paste(as.character(charToRaw(s)), collapse = ""), "")
}

emit <- function(section, run, tag, step, plugin, field, x) {
  if (length(x) == 1 && is.na(x) && !(is.numeric(x) && is.nan(x))) {
    type <- "na"; payload <- ""
  } else if (is.character(x)) {
    type <- "str"; payload <- paste(hex(x), collapse = " ")
  } else {
    type <- "num"; payload <- paste(sprintf("%.17g", as.numeric(x)), collapse = " ")
  }
  row <- c(section, run, tag, sprintf("%.0f", as.numeric(step)), plugin, field, type, payload)
  lines <<- c(lines, paste(row, collapse = "\t"))
}

# --- write ---------------------------------------------------------------------------------------

# What a summary will carry on the wire, taken from the summary itself before it is logged.
tensor_content <- function(summary) vctrs::field(vctrs::field(summary, "tensor"), "content")[[1]]

pixels <- function(png_bytes) round(png::readPNG(png_bytes) * 255)

emit_images <- function(run, tag, step, pngs) {
  decoded <- lapply(pngs, pixels)
  batch <- array(0, dim = c(length(decoded), dim(decoded[[1]])))
  for (i in seq_along(decoded)) batch[i, , , ] <- decoded[[i]]
  emit("expected", run, tag, step, "images", "dim", dim(batch))
  emit("expected", run, tag, step, "images", "values", batch)
}

write_all <- function(logdir) {
  unlink(logdir, recursive = TRUE)
  set.seed(18)
  run <- "run1"

  hparams <- list(optimizer = c("adam", "sgd"), dropout = c(min_value = 0, max_value = 0.5), units = c(16, 32))
  metrics <- list(loss = "train", acc = NA)
  session <- list(optimizer = "adam", dropout = 0.1, units = 16)
  with_logdir(logdir, {
    log_hparams_config(
      lapply(names(hparams), function(n) hparams_hparam(n, domain = hparams[[n]])),
      lapply(names(metrics), function(n) hparams_metric(n, group = metrics[[n]]))
    )
  })
  for (n in names(hparams)) {
    kind <- if (is.null(names(hparams[[n]]))) "domain" else "interval"
    emit("expected", ".", "_hparams_/experiment", 0, "hparams", paste0(kind, ".", n), unname(hparams[[n]]))
  }
  for (n in names(metrics)) {
    emit("expected", ".", "_hparams_/experiment", 0, "hparams", paste0("metric.", n), metrics[[n]])
  }

  with_logdir(file.path(logdir, run), {
    do.call(log_hparams, session)
    for (n in names(session)) {
      emit("expected", run, "_hparams_/session_start_info", 0, "hparams", paste0("hparam.", n), session[[n]])
    }

    # Scalars: plain numbers, a nested list (the run "train"), two in one call, summary_scalar().
    for (i in 1:3) {
      log_event(loss = 1 / i, train = list(acc = 0.5 + i / 10), step = i - 1)
      emit("expected", run, "loss", i - 1, "scalars", "value", 1 / i)
      emit("expected", file.path(run, "train"), "acc", i - 1, "scalars", "value", 0.5 + i / 10)
    }
    log_event(a = 1, b = 2.5, step = 3)
    emit("expected", run, "a", 3, "scalars", "value", 1)
    emit("expected", run, "b", 3, "scalars", "value", 2.5)
    log_event(lr = summary_scalar(0.01), step = 4)
    emit("expected", run, "lr", 4, "scalars", "value", 0.01)

    hist <- summary_histogram(rnorm(100), buckets = 5)
    log_event(hist = hist, step = 10)
    buckets <- tensor_content(hist)
    emit("expected", run, "hist", 10, "histograms", "lower", buckets["left_edges", ])
    emit("expected", run, "hist", 10, "histograms", "upper", buckets["right_edges", ])
    emit("expected", run, "hist", 10, "histograms", "count", buckets["bucket_counts", ])

    # Images of an array, (batch, height, width, channels): square (R's own value() reads it back),
    # and 4 high by 6 wide (R's own value() fails on it).
    for (spec in list(list(tag = "img_square", dim = c(2, 5, 5, 3)), list(tag = "img_wide", dim = c(1, 4, 6, 3)))) {
      img <- summary_image(array(runif(prod(spec$dim)), dim = spec$dim))
      log_event(!!spec$tag := img, step = 11)
      emit_images(run, spec$tag, 11, as.list(tensor_content(img))[-(1:2)])
    }
    # Image of PNG bytes, 3 high by 7 wide: the legacy Summary.Image field.
    png_bytes <- png::writePNG(array(runif(3 * 7 * 3), dim = c(3, 7, 3)))
    log_event(img_png = summary_image(png_bytes, width = 7, height = 3, colorspace = 3), step = 11)
    emit_images(run, "img_png", 11, list(png_bytes))

    # Audio of an array, (batch, samples, channels): one mono clip, and a batch of 2 stereo clips.
    mono <- array(sin(seq(0, 2 * pi, length.out = 800)) * 0.5, dim = c(1, 800, 1))
    stereo <- array(runif(2 * 400 * 2, -1, 1), dim = c(2, 400, 2))
    for (spec in list(list(tag = "aud_mono", x = mono), list(tag = "aud_stereo", x = stereo))) {
      log_event(!!spec$tag := summary_audio(spec$x, sample_rate = 8000), step = 12)
      emit("expected", run, spec$tag, 12, "audio", "dim", dim(spec$x))
      emit("expected", run, spec$tag, 12, "audio", "values", spec$x)
      emit("expected", run, spec$tag, 12, "audio", "rate", 8000)
    }

    texts <- list(txt = "hello **R**", txt2 = summary_text("second text"), txt3 = "gr\u00fc\u00dfe \u2713\ttab")
    log_event(!!!texts, step = 13)
    for (n in names(texts)) {
      txt <- if (is.character(texts[[n]])) texts[[n]] else tensor_content(texts[[n]])
      emit("expected", run, n, 13, "text", "text", txt)
    }
  })
}

# --- read ----------------------------------------------------------------------------------------

emit_value <- function(section, row, v) {
  field <- function(name, x) emit(section, row$run, row$tag, row$step, row$plugin, name, x)
  if (inherits(v, "error")) {
    field("error", gsub("\n", " ", conditionMessage(v)))
  } else if (is.data.frame(v)) {
    for (n in names(v)) field(paste0("col.", n), v[[n]])
  } else if (is.character(v)) {
    field("text", v)
  } else if (is.numeric(v)) {
    field("dim", if (is.null(dim(v))) length(v) else dim(v))
    field("values", as.vector(v))
    if (!is.null(attr(v, "sample_rate"))) field("rate", attr(v, "sample_rate"))
  } else {
    field("error", paste("value() gave a", paste(class(v), collapse = "/")))
  }
}

read_all <- function(logdir) {
  summaries <- collect_events(logdir, type = "summary")
  for (i in seq_len(NROW(summaries))) {
    row <- summaries[i, ]
    emit_value("summary", row, tryCatch(value(summaries$summary[i]), error = identity))
  }
  scalars <- collect_events(logdir, type = "scalar")
  for (i in seq_len(NROW(scalars))) {
    row <- scalars[i, ]
    emit("scalar", row$run, row$tag, row$step, row$plugin, "value", row$value)
  }
}

# --- main ----------------------------------------------------------------------------------------

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 3 || !args[1] %in% c("write", "read")) {
  stop("usage: Rscript exchange.R write|read LOGDIR TABLE")
}
if (args[1] == "write") write_all(args[2]) else read_all(args[2])
con <- file(args[3], open = "wb")
writeLines(lines, con, useBytes = TRUE)
close(con)
