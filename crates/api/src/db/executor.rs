//! `&Db` runs statements like `&AnyPool` does, each bounded by [`STATEMENT_TIMEOUT`] and
//! counted. (Streams are not bounded: nothing streams rows, and a stream's consumer can bound
//! itself.)
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::FutureExt as _;
use sqlx::any::{AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::{Any, Either, Error, Execute, Executor};

use super::{bounded, Db};

impl<'c> Executor<'c> for &'c Db {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        self.count_statement();
        (&self.pool).fetch_many(query)
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        self.count_statement();
        bounded((&self.pool).fetch_optional(query)).boxed()
    }

    fn execute<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<AnyQueryResult, Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        self.count_statement();
        bounded((&self.pool).execute(query)).boxed()
    }

    fn fetch_all<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Vec<AnyRow>, Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        self.count_statement();
        bounded((&self.pool).fetch_all(query)).boxed()
    }

    fn fetch_one<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<AnyRow, Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        self.count_statement();
        bounded((&self.pool).fetch_one(query)).boxed()
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement<'q>, Error>>
    where
        'c: 'e,
    {
        bounded((&self.pool).prepare_with(sql, parameters)).boxed()
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<sqlx::Describe<Any>, Error>>
    where
        'c: 'e,
    {
        (&self.pool).describe(sql)
    }
}
